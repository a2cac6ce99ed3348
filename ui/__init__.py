"""Streamlit helpers shared by every page (the engine packages never import this)."""
