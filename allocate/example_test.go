package allocate_test

import (
	"context"
	"fmt"

	"github.com/twowayrec/twoway/allocate"
)

// A congested market: both seekers (0 and 1) prefer job 2, which can answer
// one of them; job 3 is less wanted but free. The product of the two
// probabilities ranks job 2 first for seeker 1 too; the allocation steers
// seeker 1, for whom the pair with job 3 is almost as good, toward job 3,
// and leaves job 2 to seeker 0.
func Example() {
	b, err := allocate.NewBuilder(allocate.Config{})
	if err != nil {
		panic(err)
	}
	for _, p := range []allocate.Pair{
		{Seeker: 0, Job: 2, Act: 0.9, Answer: 0.8},
		{Seeker: 0, Job: 3, Act: 0.3, Answer: 0.5},
		{Seeker: 1, Job: 2, Act: 0.9, Answer: 0.7},
		{Seeker: 1, Job: 3, Act: 0.8, Answer: 0.6},
	} {
		if err := b.Add(p); err != nil {
			panic(err)
		}
	}
	g, err := b.Build()
	if err != nil {
		panic(err)
	}
	pot, err := allocate.Fit(context.Background(), g)
	if err != nil {
		panic(err)
	}
	// A request from seeker 1: candidates 2 and 3 with the request's own
	// forward and backward probabilities.
	surplus := []float64{pot.Surplus(0.9, 0.7), pot.Surplus(0.8, 0.6)}
	fmt.Printf("pairwise product: job 2 %.2f, job 3 %.2f\n", surplus[0], surplus[1])
	score := pot.Score(1, []uint32{2, 3}, surplus, nil)
	fmt.Printf("expected matches: job 2 %.2f, job 3 %.2f\n", score[0], score[1])
	fmt.Printf("converged: %v\n", pot.Stats().Converged)
	// Output:
	// pairwise product: job 2 0.63, job 3 0.48
	// expected matches: job 2 0.01, job 3 0.99
	// converged: true
}
