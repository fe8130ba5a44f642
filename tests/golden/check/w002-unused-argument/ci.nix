{ src, nixpkgs ? null, _unused ? null }:
{
  app = src.ref;
}
