package urgency_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/urgency"
)

func Example() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	// Seekers 0–19 browse a lot, seekers 20–39 a little; jobs are 100+.
	// After the cut-off, the busy ones (bar one) reach a mutual chat.
	var log []activity.Event
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	for s := range uint32(40) {
		views := 1
		if s < 20 {
			views = 6 + int(s%4)
		}
		for i := range views {
			log = append(log, activity.Event{Actor: s, Target: 100 + uint32(i), Action: market.View, Time: at(i)})
		}
		if s < 20 && s != 7 || s == 33 {
			log = append(log,
				activity.Event{Actor: s, Target: 150, Action: market.Chat, Time: at(30)},
				activity.Event{Actor: 150, Target: s, Action: market.Reply, Time: at(31)})
		}
	}
	cutoff := at(24)

	tr, err := activity.New(activity.Config{})
	if err != nil {
		panic(err)
	}
	cfg := urgency.Config{OneWay: func(user, target uint32) float64 { return float64(target%10) / 10 }}
	inputs, err := urgency.Inputs(tr, cfg, log, cutoff, 40)
	if err != nil {
		panic(err)
	}
	labels, err := urgency.Labels(log, cutoff, cfg, 40)
	if err != nil {
		panic(err)
	}
	users := make([]uint32, 40)
	for i := range users {
		users[i] = uint32(i)
	}
	model, err := urgency.Fit(context.Background(), cfg, urgency.Training{
		Names:  urgency.VectorNames(tr.VectorNames()),
		Inputs: inputs, Labels: labels, Users: users,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("busy seeker more urgent than quiet one:", model.Urgency(&inputs[2]) > model.Urgency(&inputs[22]))
	fmt.Printf("prior for a newcomer: %.3f\n", model.Prior())
	var newcomer urgency.Input
	if err := urgency.Live(context.Background(), tr, nil, 999, cutoff, &newcomer); err != nil {
		panic(err)
	}
	fmt.Printf("newcomer's urgency: %.3f\n", model.Urgency(&newcomer))
	// Output:
	// busy seeker more urgent than quiet one: true
	// prior for a newcomer: 0.500
	// newcomer's urgency: 0.500
}
