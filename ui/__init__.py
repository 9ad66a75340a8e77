"""The Streamlit chat page."""
