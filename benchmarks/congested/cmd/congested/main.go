// Command congested prints the congested-market tables of package
// congested as Markdown (simulated figures):
//
//	cd benchmarks && go run ./congested/cmd/congested            # main table, seeds 1-5
//	go run ./congested/cmd/congested -tuning -formulations      # validation seeds 101-105
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/benchmarks/congested"
)

func main() {
	tuning := flag.Bool("tuning", false, "print the surplus × Beta grid of the library on the validation seeds")
	formulations := flag.Bool("formulations", false, "print the comparison of formulations on the validation seeds")
	betas := flag.String("betas", "0.02,0.05,0.1,0.2,0.5,1", "Beta values of -tuning")
	noMain := flag.Bool("no-main", false, "do not print the main table")
	flag.Parse()
	var cfg congested.Config
	if !*noMain {
		s, err := congested.MainMarkdown(cfg)
		check(err)
		fmt.Println(s)
	}
	if *tuning {
		var bs []float64
		for _, f := range strings.Split(*betas, ",") {
			b, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			check(err)
			bs = append(bs, b)
		}
		r, err := congested.Tuning(cfg, bs)
		check(err)
		fmt.Println(r.Markdown(-1))
	}
	if *formulations {
		r, err := congested.Formulations(cfg)
		check(err)
		fmt.Println(r.Markdown(1, 0, 2, 3))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
