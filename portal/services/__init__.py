"""Business rules. Routes call one function here per state change; each audits itself."""
