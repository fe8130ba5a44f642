let {
  app = 1;
  body = { inherit app; };
}
