let
  pkgs = { hello = 1; };
in
{
  app = pkgz.hello;
}
