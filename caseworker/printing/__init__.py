"""PDF forms with reportlab: plain dataclasses in, PDF bytes or file out."""
