package activity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
)

func Example() {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // a Monday
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	const seeker, job = 0, 1
	for _, e := range []activity.Event{
		{Actor: seeker, Target: job, Action: market.View, Time: now.Add(-3 * time.Hour)},
		{Actor: seeker, Target: job, Action: market.Apply, Time: now.Add(-2 * time.Hour)},
		{Actor: job, Target: seeker, Action: market.Reply, Time: now.Add(-time.Hour)},
	} {
		if err := tr.Record(ctx, e); err != nil {
			panic(err)
		}
	}
	var f activity.Features
	if err := tr.FeaturesNow(ctx, seeker, &f); err != nil {
		panic(err)
	}
	fmt.Printf("actions today %.0f, view→contact %.1f, replies received %.0f, working-hours share %.1f\n",
		f.Count(0, activity.Actions), f.ViewToContact(0), f.Count(0, activity.RepliesReceived), f.WorkHoursShare())
	var g activity.Features
	if err := tr.FeaturesNow(ctx, job, &g); err != nil {
		panic(err)
	}
	fmt.Printf("job: contacts received %.0f, reply rate %.1f, hours since active %.0f\n",
		g.Count(0, activity.ContactsReceived), g.ReplyRate(), g.DaysSinceActive*24)
	// Output:
	// actions today 2, view→contact 1.0, replies received 1, working-hours share 1.0
	// job: contacts received 1, reply rate 1.0, hours since active 1
}

func ExampleTracker_Batch() {
	tr, err := activity.New(activity.Config{}) // sessions: 30-minute gap
	if err != nil {
		panic(err)
	}
	day := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC) // a Friday
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	const seeker, job1, job2 = 0, 1, 2
	log := []activity.Event{
		{Actor: seeker, Target: job1, Action: market.View, Time: at(23, 50)},
		{Actor: seeker, Target: job2, Action: market.View, Time: at(24, 10)}, // after midnight, same session
		{Actor: seeker, Target: job2, Action: market.Apply, Time: at(24, 15)},
		{Actor: job2, Target: seeker, Action: market.Reply, Time: at(26, 15)},
		{Actor: seeker, Target: job1, Action: market.View, Time: at(23, 50)}, // duplicate delivery
		{Actor: seeker, Target: job1, Action: market.Chat, Time: at(33, 0)},  // new session
	}
	fs, err := tr.Batch(log, at(36, 0), 3)
	if err != nil {
		panic(err)
	}
	s, j := fs[seeker], fs[job2]
	fmt.Printf("seeker: %.0f actions in %.0f sessions, %.0f min per session\n", s.Count(2, activity.Actions), s.Sessions, s.SessionMinutes)
	fmt.Printf("job2: answered %.0f of %.0f contacts after %.0f h\n", j.AnsweredContacts, j.Count(2, activity.ContactsReceived), j.AnswerHours)
	// Output:
	// seeker: 4 actions in 2 sessions, 12 min per session
	// job2: answered 1 of 1 contacts after 2 h
}
