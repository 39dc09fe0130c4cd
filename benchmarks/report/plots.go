package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/benchmarks/strategy"
	"github.com/twowayrec/twoway/market"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// plotted are the contenders drawn in the per-round and Lorenz plots (all
// are in the tables); the others would make the plots unreadable.
var plotted = []string{"random", "popularity", "content", "one-way", "one-way +exposure", "harmonic", "harmonic +exposure",
	"product", "urgency-weighted", "urgency-weighted +exposure"}

func (r *writer) plots(out string, w *sim.World, results []*sim.Result, off []sim.Offline, curves []strategy.Curve) error {
	// Matches per round.
	p := plot.New()
	p.Title.Text = "Mutual matches per round (simulated)"
	p.X.Label.Text = "round"
	p.Y.Label.Text = "mutual matches"
	var lines []any
	for _, res := range results {
		if !slices.Contains(plotted, res.Name) {
			continue
		}
		pts := make(plotter.XYs, len(res.Rounds))
		for i, st := range res.Rounds {
			pts[i] = plotter.XY{X: float64(i), Y: float64(st.Replies)}
		}
		lines = append(lines, res.Name, pts)
	}
	if err := plotutil.AddLinePoints(p, finite(lines)...); err != nil {
		return err
	}
	if len(results) > 0 {
		p.X.Tick.Marker = roundTicks(len(results[0].Rounds))
	}
	if err := saveLegendRight(p, out, "matches_per_round.png"); err != nil {
		return err
	}
	// Lorenz curves per side.
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Exposure Lorenz curves, %s (simulated)", sideName(sd))
		p.X.Label.Text = "share of participants (least exposed first)"
		p.Y.Label.Text = "share of impressions"
		diag := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}
		l, err := plotter.NewLine(diag)
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 160}
		p.Add(l)
		var lines []any
		for _, res := range results {
			if !slices.Contains(plotted, res.Name) {
				continue
			}
			xs, ys := metric.Lorenz(w.ExposureOf(res, sd), 50)
			pts := make(plotter.XYs, len(xs))
			for i := range xs {
				pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
			}
			lines = append(lines, res.Name, pts)
		}
		if err := plotutil.AddLines(p, finite(lines)...); err != nil {
			return err
		}
		p.Legend.Top = true
		p.Legend.Left = true
		if err := save(p, out, "lorenz_"+sideName(sd)+".png"); err != nil {
			return err
		}
	}
	// Recall at k per strategy.
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Recall of mutual acceptances at k, %s (simulated)", sideName(sd))
		p.X.Label.Text = "k (log scale)"
		p.Y.Label.Text = "recall"
		p.X.Scale = plot.LogScale{}
		var lines []any
		for _, c := range curves {
			pts := make(plotter.XYs, len(c.Ks))
			for i, k := range c.Ks {
				pts[i] = plotter.XY{X: float64(k), Y: c.RecallAt[sd][i]}
			}
			lines = append(lines, c.Name, pts)
		}
		for _, o := range off {
			if !slices.Contains([]string{"content", "one-way", "product"}, o.Name) {
				continue
			}
			pts := make(plotter.XYs, len(o.Ks))
			for i, k := range o.Ks {
				pts[i] = plotter.XY{X: float64(k), Y: o.RecallAt[sd][i]}
			}
			lines = append(lines, o.Name+" (scorer)", pts)
		}
		if err := plotutil.AddLinePoints(p, finite(lines)...); err != nil {
			return err
		}
		if len(curves) > 0 {
			p.X.Tick.Marker = kTicks(curves[0].Ks)
		}
		if err := saveLegendRight(p, out, "recall_"+sideName(sd)+".png"); err != nil {
			return err
		}
	}
	return nil
}

// finite drops the NaN points of every series in a plotutil argument list
// (a metric undefined for lack of relevant users) and the series left empty.
func finite(args []any) []any {
	var out []any
	for i := 0; i+1 < len(args); i += 2 {
		pts := args[i+1].(plotter.XYs)
		var keep plotter.XYs
		for _, p := range pts {
			if !math.IsNaN(p.X) && !math.IsNaN(p.Y) {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			out = append(out, args[i], keep)
		}
	}
	return out
}

func save(p *plot.Plot, out, name string) error {
	return p.Save(8*vg.Inch, 5*vg.Inch, filepath.Join(out, name))
}

// kTicks labels an axis at exactly the cut-offs ks.
func kTicks(ks []int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for _, k := range ks {
		t = append(t, plot.Tick{Value: float64(k), Label: fmt.Sprint(k)})
	}
	return t
}

// legendWidth is the strip to the right of the data that holds the
// legend in saveLegendRight.
const legendWidth = 2.6 * vg.Inch

// saveLegendRight saves p as a PNG with its legend in a strip to the
// right of the plot, where it cannot cover any data.
func saveLegendRight(p *plot.Plot, out, name string) error {
	const w, h = 10.5 * vg.Inch, 5 * vg.Inch
	leg := p.Legend
	p.Legend = plot.NewLegend() // nothing drawn inside the data area
	img := vgimg.New(w, h)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	leg.Top, leg.Left = true, true
	leg.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - vg.Points(12)
	leg.Draw(draw.Crop(dc, w-legendWidth+vg.Points(8), 0, 0, 0))
	f, err := os.Create(filepath.Join(out, name))
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
