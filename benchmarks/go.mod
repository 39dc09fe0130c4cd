module github.com/twowayrec/twoway/benchmarks

go 1.25.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/twowayrec/twoway v0.0.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/tools v0.36.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)

replace github.com/twowayrec/twoway => ../
