{
  deploy = [ 1, 2 ];
}
