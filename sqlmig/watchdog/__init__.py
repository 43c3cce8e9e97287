"""`up --max-blocking`: a second connection that cancels a migration's statement which keeps
other sessions waiting too long. Imported only when the option is set."""
