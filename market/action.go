package market

import (
	"fmt"
	"math"
)

// Action is what one participant did to a participant on the other side.
// The zero value is not a valid action.
//
// # What a host logs
//
// A recommendation only learns from what the host tells it, so every
// screen of a recruiting product maps to one action:
//
//   - a list the user saw (a recommendation list, a search result): one
//     Impression per profile shown, actor the viewer — "shown";
//   - the user opened a profile: View; saved it: Favourite;
//   - the user reached out: Chat (a message) or Apply (an application, or
//     a recruiter's invitation) — a contact, which the target may answer;
//   - the target accepted: Reply (or, for a recruiter, a Chat or an
//     invitation back; Hire at the end) — "accept";
//   - the target said no: Reject — "decline", an answer too.
//
// A contact is answered by a Reply, Reject, Hire or a contact back
// ([Action.Answers]); silence is not an answer. Positive answers (all but
// Reject) are what a two-way match predicts.
type Action uint8

const (
	// Impression: the target was shown to the actor (in a list the library
	// or the host produced). It is the negative evidence of "shown but
	// passed over".
	Impression Action = iota + 1
	// View: the actor opened the target's profile.
	View
	// Favourite: the actor saved the target.
	Favourite
	// Chat: the actor started a conversation with the target.
	Chat
	// Apply: a seeker applied to a job (or a recruiter invited a seeker).
	Apply
	// Reply: the actor answered a contact (chat or application) from the target.
	Reply
	// Reject: the actor declined the target explicitly.
	Reject
	// Hire: the recruiter hired the seeker, or the seeker accepted the offer.
	Hire

	numActions = int(Hire) + 1
)

var actionNames = [numActions]string{"", "impression", "view", "favourite", "chat", "apply", "reply", "reject", "hire"}

// Actions lists every valid action in order.
func Actions() []Action {
	return []Action{Impression, View, Favourite, Chat, Apply, Reply, Reject, Hire}
}

// String returns the action's lower-case name, or "Action(n)" if invalid.
func (a Action) String() string {
	if a.Valid() {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// Valid reports whether a is one of the defined actions.
func (a Action) Valid() bool { return a >= Impression && a <= Hire }

// Contact reports whether a is an attempt to reach the target that the
// target may answer (Chat or Apply).
func (a Action) Contact() bool { return a == Chat || a == Apply }

// Answers reports whether a, done by the target of a contact to its actor,
// answers that contact: Reply, Reject, Hire, or a contact back (Chat,
// Apply). Silence, a view or a favourite are not answers.
func (a Action) Answers() bool { return a == Reply || a == Reject || a == Hire || a.Contact() }

// ParseAction parses an action name ("view", "favorite" is accepted too).
func ParseAction(s string) (Action, error) {
	for a := Impression; a <= Hire; a++ {
		if actionNames[a] == s {
			return a, nil
		}
	}
	if s == "favorite" {
		return Favourite, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownAction, s)
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownAction, uint8(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ActionWeights says how much interest each action expresses. Hosts tune
// them in their Config; the zero value weighs every action 0, so start from
// [DefaultActionWeights]. Negative weights are allowed (Reject).
type ActionWeights struct {
	Impression float64 `json:"impression"`
	View       float64 `json:"view"`
	Favourite  float64 `json:"favourite"`
	Chat       float64 `json:"chat"`
	Apply      float64 `json:"apply"`
	Reply      float64 `json:"reply"`
	Reject     float64 `json:"reject"`
	Hire       float64 `json:"hire"`
}

// DefaultActionWeights returns the weights used when a host sets none:
// impression 0 < view 1 < favourite 2 < chat 3 = apply 3 < reply 4 < hire 5,
// and reject −2.
func DefaultActionWeights() ActionWeights {
	return ActionWeights{Impression: 0, View: 1, Favourite: 2, Chat: 3, Apply: 3, Reply: 4, Reject: -2, Hire: 5}
}

// Of returns the weight of a; 0 for an invalid action.
func (w ActionWeights) Of(a Action) float64 {
	switch a {
	case Impression:
		return w.Impression
	case View:
		return w.View
	case Favourite:
		return w.Favourite
	case Chat:
		return w.Chat
	case Apply:
		return w.Apply
	case Reply:
		return w.Reply
	case Reject:
		return w.Reject
	case Hire:
		return w.Hire
	}
	return 0
}

// Table returns the weights as an array indexed by Action, for hot loops.
func (w ActionWeights) Table() [9]float64 {
	var t [9]float64
	for _, a := range Actions() {
		t[a] = w.Of(a)
	}
	return t
}

// Validate reports a NaN or infinite weight as a *FieldError (Record "config").
func (w ActionWeights) Validate() error {
	for _, a := range Actions() {
		v := w.Of(a)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &FieldError{Record: "config", ID: "ActionWeights", Field: a.String(), Value: fmt.Sprint(v), Err: ErrNaN}
		}
	}
	return nil
}
