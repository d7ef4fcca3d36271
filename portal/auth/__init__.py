"""Who the user is (flask-login over server-side login sessions) and what they may do."""
