module example.com/go-provided

go 1.19
