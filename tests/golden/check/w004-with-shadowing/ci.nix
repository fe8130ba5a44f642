let
  name = "outer";
  settings = { name = "inner"; port = 80; };
in
with settings;
{
  app = name;
  inherit port;
}
