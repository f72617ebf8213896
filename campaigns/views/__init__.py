"""One blueprint per area of the site. Routes parse and render; services write."""
