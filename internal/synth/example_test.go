package synth_test

import (
	"fmt"

	"github.com/twowayrec/twoway/internal/synth"
)

func Example() {
	cfg := synth.Small()
	cfg.Events = 1000
	m, err := synth.Generate(cfg)
	if err != nil {
		panic(err)
	}
	lo, hi := m.Seekers()
	fmt.Println("seekers:", hi-lo, "jobs:", m.NumJobs, "events:", len(m.Events))
	first := m.Events[0]
	fmt.Println("first event is in the period:", !first.Time.Before(m.Config.Start))
	s := m.Pairs[0].Actor
	fmt.Println("actor's profile matches its index:", m.Profiles[s].ID == first.Actor)
	// Output:
	// seekers: 300 jobs: 100 events: 1000
	// first event is in the period: true
	// actor's profile matches its index: true
}
