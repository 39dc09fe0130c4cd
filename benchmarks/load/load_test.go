package load

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

var reg = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestReadProfilesCSV(t *testing.T) {
	in := "\ufeffid,side,title,city,experience,education,salary,skills,tags\n" +
		"s1,seeker,Java开发工程师,南京,3-5年,本科,15k-30k,Java|MySQL;Redis,\n" +
		"j1,recruiter,数据分析师,北京,经验不限,学历不限,20-40K·16薪,SQL|数据分析,五险一金\n"
	ps, err := ReadProfilesCSV(strings.NewReader(in), reg)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, market.Seeker, ps[0].Side)
	assert.Equal(t, []string{"Java", "MySQL", "Redis"}, ps[0].Skills)
	assert.Equal(t, market.Range{Min: 3, Max: 5}, ps[0].Experience)
	assert.Equal(t, market.EducationBachelor, ps[0].Education)
	assert.InDelta(t, 15000, ps[0].Salary.Min, 1e-9)
	assert.Equal(t, 16, ps[1].Salary.Months)
	assert.Equal(t, reg, ps[1].Registered)
	assert.Equal(t, []string{"五险一金"}, ps[1].Tags)
}

func TestReadProfilesCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, field string
		line            int
	}{
		{"bad side", "id,side\ns1,alien\n", "side", 2},
		{"bad salary", "id,side,salary\ns1,seeker,15k-30k\ns2,seeker,lots\n", "salary", 3},
		{"bad education", "id,side,education\ns1,seeker,wizard\n", "education", 2},
		{"empty id", "id,side\n,seeker\n", "ID", 2},
		{"bad time", "id,side,registered\ns1,seeker,yesterday\n", "registered", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadProfilesCSV(strings.NewReader(tc.in), reg)
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.line, re.Line)
			assert.Equal(t, tc.field, re.Field)
		})
	}
	_, err := ReadProfilesCSV(strings.NewReader("name,side\n"), reg)
	assert.ErrorContains(t, err, `no "id" column`)
}

func TestReadProfilesJSONL(t *testing.T) {
	in := `{"id":"s1","side":"seeker","skills":["Go"],"registered":"2026-01-02T00:00:00Z"}

{"id":"j1","side":"recruiter","city":"上海"}
`
	ps, err := ReadProfilesJSONL(strings.NewReader(in), reg)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, reg, ps[1].Registered)
	_, err = ReadProfilesJSONL(strings.NewReader(in+`{"id":"x","side":"martian"}`+"\n"), reg)
	var re *RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 4, re.Line)
}

func TestReadEvents(t *testing.T) {
	csvIn := "actor,target,action,time\ns1,j1,view,2026-01-05T09:00:00Z\nj1,s1,reply,2026-01-05T10:00:00Z\n"
	es, err := ReadEventsCSV(strings.NewReader(csvIn))
	require.NoError(t, err)
	require.Len(t, es, 2)
	assert.Equal(t, market.Reply, es[1].Action)
	_, err = ReadEventsCSV(strings.NewReader(csvIn + "s1,s1,view,2026-01-05T11:00:00Z\n"))
	var re *RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 4, re.Line)
	assert.Equal(t, "Target", re.Field)
	assert.ErrorIs(t, err, market.ErrSelf)
	_, err = ReadEventsCSV(strings.NewReader("actor,target,action,time\ns1,j1,stare,2026-01-05T09:00:00Z\n"))
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "action", re.Field)
	js, err := ReadEventsJSONL(strings.NewReader(`{"actor":"s1","target":"j1","action":"chat","time":"2026-01-05T09:00:00Z"}` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, market.Chat, js[0].Action)
}

func TestMissing(t *testing.T) {
	_, err := Path(t.TempDir(), "speeddating/none.csv")
	assert.True(t, errors.Is(err, ErrMissing))
	assert.ErrorContains(t, err, "speeddating/none.csv")
}

func TestRealData(t *testing.T) {
	realdata.Require(t, ReplyRatesFile)
	rates, err := ReplyRates("")
	require.NoError(t, err)
	var zero, one int
	for _, r := range rates {
		switch r {
		case 0:
			zero++
		case 1:
			one++
		}
	}
	t.Logf("reply rates: %d postings, %.1f%% zero, %.1f%% one", len(rates), 100*float64(zero)/float64(len(rates)), 100*float64(one)/float64(len(rates)))
	assert.Greater(t, len(rates), 1700)
	assert.InDelta(t, 0.36, float64(zero)/float64(len(rates)), 0.03)
	tab, err := SpeedDating("")
	require.NoError(t, err)
	assert.Greater(t, len(tab.Meetings), 5000)
	ps, reps, err := Postings("")
	require.NoError(t, err)
	assert.Len(t, reps, 6)
	assert.Greater(t, len(ps), 5000)
}

func FuzzReadProfilesCSV(f *testing.F) {
	f.Add("id,side,salary,experience,education,skills\ns1,seeker,15k-30k,3-5年,本科,Java|Go\n")
	f.Add("id,side\n,\n")
	f.Add("id,side,registered\ns,job,2026-01-01T00:00:00Z\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := ReadProfilesCSV(strings.NewReader(in), reg)
		if err != nil {
			return
		}
		for i := range ps {
			require.NoError(t, ps[i].Validate())
		}
	})
}

func FuzzReadEventsCSV(f *testing.F) {
	f.Add("actor,target,action,time\ns1,j1,view,2026-01-05T09:00:00Z\n")
	f.Add("actor,target,action,time\n,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ReadEventsCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		for i := range es {
			require.NoError(t, es[i].Validate())
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"id":"s1","side":"seeker"}`)
	f.Add(`{"actor":"s1","target":"j1","action":"chat","time":"2026-01-05T09:00:00Z"}`)
	f.Fuzz(func(t *testing.T, in string) {
		if ps, err := ReadProfilesJSONL(strings.NewReader(in), reg); err == nil {
			for i := range ps {
				require.NoError(t, ps[i].Validate())
			}
		}
		if es, err := ReadEventsJSONL(strings.NewReader(in)); err == nil {
			for i := range es {
				require.NoError(t, es[i].Validate())
			}
		}
	})
}
