// Command report runs the twoway evaluation suite and writes report.md and
// PNG plots into a directory:
//
//	cd benchmarks && go run ./cmd/report -seed 1 -out out/
//
// Progress lines go to standard error. The same flags give a byte-identical
// report.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/twowayrec/twoway/benchmarks/report"
)

func main() {
	var cfg report.Config
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulated market, the simulation and the speed-dating split")
	flag.IntVar(&cfg.Seekers, "seekers", 3000, "seekers in the simulated market")
	flag.IntVar(&cfg.Jobs, "jobs", 600, "jobs in the simulated market")
	flag.IntVar(&cfg.Rounds, "rounds", 10, "simulated rounds")
	flag.IntVar(&cfg.OfflineUsers, "offline-users", 150, "users per side in the offline ranking evaluation")
	flag.StringVar(&cfg.DataDir, "data", "", "real-data directory (default: $TWOWAY_DATA or shared/data beside the repository)")
	flag.BoolVar(&cfg.SkipRealData, "no-real-data", false, "leave the real data out")
	flag.IntVar(&cfg.EngineSeekers, "engine-seekers", 0, "seekers in the Engine section's simulated market (default: -seekers)")
	flag.IntVar(&cfg.EngineJobs, "engine-jobs", 0, "jobs in the Engine section's simulated market (default: -jobs)")
	flag.IntVar(&cfg.EngineRounds, "engine-rounds", 0, "rounds of the Engine section's simulation (default: -rounds)")
	flag.BoolVar(&cfg.SkipEngine, "no-engine", false, "leave the Engine section out")
	flag.IntVar(&cfg.TextQueries, "text-queries", 300, "query postings of the text retrieval task")
	flag.IntVar(&cfg.TextPostings, "text-postings", 0, "run the text retrieval task on a seeded sample of this many postings (default: all)")
	flag.IntVar(&cfg.Bootstrap, "bootstrap", 1000, "bootstrap resamples of the Engine section's intervals")
	flag.IntVar(&cfg.DatingSeeds, "dating-seeds", 8, "split seeds (from -seed on) of the speed-dating margins table")
	out := flag.String("out", "out", "output directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := report.Run(ctx, cfg, *out, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}
