"""ccm: contact-centre metrics for police control rooms."""
