rec {
  app = 1;
  test = 2;
}
