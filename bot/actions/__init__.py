"""rasa_sdk actions: thin, speak only by response name; kiosk API calls live in actions/api/."""
