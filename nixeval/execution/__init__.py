"""Running effect descriptions: what the run backends share."""
