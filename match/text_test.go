package match_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

func TestContentFromText(t *testing.T) {
	reg := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ps := []market.Profile{
		{ID: "s", Side: market.Seeker, Title: "后端开发", Skills: []string{"Golang", "K8s"}, Tags: []string{"远程办公"},
			Text: "熟悉MySQL和Redis", City: " 北京 ", Experience: market.Range{Min: 3, Max: 3}, Registered: reg},
		{ID: "j1", Side: market.Recruiter, Title: "Go开发工程师", Skills: []string{"Go", "MySQL", "Kubernetes"}, City: "北京", Registered: reg},
		{ID: "j2", Side: market.Recruiter, Title: "Go工程师", Skills: []string{"Go", "Kubernetes", "Docker"}, City: "上海", Registered: reg},
	}
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	var sets [][]string
	for i := range ps {
		sets = append(sets, match.ContentFromText(enc, nil, &ps[i]).Skills)
	}
	rules, err := text.MineRules(sets, text.RuleConfig{MinSupport: 0.5, MinConfidence: 0.5})
	require.NoError(t, err)

	c := match.ContentFromText(enc, rules, &ps[0])
	assert.Equal(t, market.Seeker, c.Side)
	require.NoError(t, c.Vector.Check())
	assert.NotZero(t, c.Vector.Len())
	assert.Subset(t, c.Skills, []string{"go", "kubernetes", "mysql", "redis"}, "declared skills normalised, text skills found")
	assert.Equal(t, "北京", c.City)
	for _, e := range c.Expanded {
		assert.NotContains(t, c.Skills, e, "an expansion is new to the profile")
		assert.Contains(t, c.Tags, e)
	}
	names := match.FeatureNames(enc)
	for _, j := range c.Vector.Idx {
		assert.NotEmpty(t, names(market.Recruiter, j))
	}
	assert.Equal(t, "feature 99999", names(market.Seeker, 99999))
}
