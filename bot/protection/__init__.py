"""Data protection (P9): what is held about one person, exported or erased; retention;
rotating the store's keys. Plain Python over the project's store and Rasa's events
table, read as SQL, so it needs no Rasa."""
