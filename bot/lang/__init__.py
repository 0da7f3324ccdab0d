"""Languages the assistant serves, and how it recognises them."""
