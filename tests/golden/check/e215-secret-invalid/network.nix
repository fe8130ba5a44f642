{ webserver = { ... }: { }; }
