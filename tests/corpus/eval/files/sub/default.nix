{ here = ./.; name = baseNameOf ./.; }
