module dictamesh.dev/standin

go 1.22
