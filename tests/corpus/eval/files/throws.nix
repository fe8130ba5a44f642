throw "from file"
