{
  app = 1;
  app = 2;
}
