package exposure_test

import (
	"fmt"
	"time"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/exposure"
)

func Example() {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	ctl, err := exposure.New(exposure.Config{
		Capacity: 10, // 10 decayed impressions for a candidate with saturation 0
		Clock:    func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	// Candidate 7 was in 6 lists today; candidate 8 in 3.
	for range 6 {
		ctl.Served([]uint32{7})
	}
	ctl.Served([]uint32{8, 8, 8})

	// Saturation from the model (here given): 7 is half saturated.
	cands := []uint32{7, 8, 9}
	saturation := []float64{0.5, 0.5, 0.1}
	penalties := make([]float64, len(cands))
	var excluded bitmap.Bitmap
	ctl.Penalties(cands, saturation, now, penalties, &excluded)
	for i, c := range cands {
		fmt.Printf("candidate %d: penalty %.2f excluded %v\n", c, penalties[i], excluded.Contains(c))
	}
	// Six hours later (one half-life, DefaultHalfLife) candidate 7's load
	// has halved.
	v := ctl.Judge(7, 0.5, now.Add(exposure.DefaultHalfLife))
	fmt.Printf("six hours on: load %.0f of budget %.0f, excluded %v\n", v.Load, v.Budget, v.Excluded)
	// Output:
	// candidate 7: penalty 1.00 excluded true
	// candidate 8: penalty 0.80 excluded false
	// candidate 9: penalty 0.10 excluded false
	// six hours on: load 3 of budget 5, excluded false
}
