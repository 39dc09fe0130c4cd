package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The web UI's charts are drawn here, as SVG, rather than in the browser:
// they need no JavaScript library (Apache ECharts' smallest prebuilt file
// is several hundred kilobytes of minified code to vendor, pin and review),
// they read without JavaScript and for screen readers (a <title> per chart
// and per mark, and the same figures as a table), they are tested in Go
// (every mark carries its value), and the server draws only what package
// insight published under its k-anonymity rules.

// bar is one row of a horizontal bar chart: a label, a value and how it
// reads. A range row (Lo < Hi) draws from Lo to Hi with a mark at Value
// (the quartiles of a pay distribution, with the median).
type bar struct {
	Label  string
	Value  float64
	Lo, Hi float64 // a range when Hi > Lo
	Text   string  // the value as shown ("35%", "12.5k")
	Class  string  // extra CSS class of the mark ("have", "missing", "suppressed")
	Note   string  // extra words for the mark's tooltip
}

// chart geometry, in SVG user units (the SVG scales to its container).
const (
	chartWidth  = 640
	labelWidth  = 190
	valueWidth  = 70
	rowHeight   = 24
	barHeight   = 15
	chartTop    = 8
	chartBottom = 22 // room for the axis labels
	maxLabel    = 15 // characters of a label shown; the tooltip has it all
)

// drawBars draws rows as a horizontal bar chart with an axis from 0 to the
// largest value, titled title (for screen readers: the page shows its own
// heading). format writes an axis tick.
func drawBars(id, title string, rows []bar, format func(float64) string) string {
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Value, r.Hi)
	}
	if top <= 0 || math.IsNaN(top) || math.IsInf(top, 0) {
		top = 1
	}
	step, ticks := niceTicks(top)
	top = step * float64(ticks)
	plot := float64(chartWidth - labelWidth - valueWidth)
	x := func(v float64) float64 { return labelWidth + plot*v/top }
	height := chartTop + rowHeight*len(rows) + chartBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t" data-chart="%s" data-marks="%d">`,
		chartWidth, height, esc(id), esc(id), len(rows))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(id), esc(title))
	// Grid and axis.
	axisY := chartTop + rowHeight*len(rows)
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, x(v), chartTop, x(v), axisY)
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(v), axisY+15, esc(format(v)))
	}
	for i, r := range rows {
		y := chartTop + rowHeight*i
		cy := float64(y) + rowHeight/2
		label := r.Label
		if utf8.RuneCountInString(label) > maxLabel {
			label = string([]rune(label)[:maxLabel-1]) + "…"
		}
		tip := r.Label + ": " + r.Text
		if r.Note != "" {
			tip += " (" + r.Note + ")"
		}
		fmt.Fprintf(&b, `<g class="row %s">`, esc(r.Class))
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, labelWidth-8, cy, esc(label))
		y0 := cy - barHeight/2
		end := x(r.Value)
		if r.Hi > r.Lo {
			fmt.Fprintf(&b, `<rect class="mark range" x="%.1f" y="%.1f" width="%.1f" height="%d" rx="2" data-value="%s" data-lo="%s" data-hi="%s"><title>%s</title></rect>`,
				x(r.Lo), y0, math.Max(1, x(r.Hi)-x(r.Lo)), barHeight, num64(r.Value), num64(r.Lo), num64(r.Hi), esc(tip))
			fmt.Fprintf(&b, `<line class="median" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, end, y0-2, end, y0+barHeight+2)
			end = x(r.Hi)
		} else {
			fmt.Fprintf(&b, `<rect class="mark" x="%d" y="%.1f" width="%.1f" height="%d" rx="2" data-value="%s"><title>%s</title></rect>`,
				labelWidth, y0, math.Max(1, end-labelWidth), barHeight, num64(r.Value), esc(tip))
		}
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`, end+5, cy, esc(r.Text))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceTicks returns a step of 1, 2 or 5 × 10^k and how many steps cover
// top in 3 to 6 ticks.
func niceTicks(top float64) (step float64, n int) {
	raw := top / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return step, int(math.Ceil(top/step - 1e-9))
}

func esc(s string) string { return html.EscapeString(s) }

func num64(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// percent writes a share as "35%".
func percent(v float64) string { return strconv.FormatFloat(100*v, 'f', 0, 64) + "%" }

// yuan writes a monthly pay in thousands of yuan ("12.5k").
func yuan(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
}

// roundYuan writes a pay rounded to 100 yuan, in thousands ("12.5k").
func roundYuan(v float64) string { return yuan(math.Round(v/100) * 100) }

// count writes a count.
func count(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ratio writes a ratio with one decimal ("2.5").
func ratio(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// seconds writes a duration in seconds.
func seconds(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 0.1:
		return strconv.FormatFloat(v*1000, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "s"
}
