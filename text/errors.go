package text

import (
	"fmt"
	"strconv"
)

// ConfigError reports an invalid configuration field.
type ConfigError struct {
	Field  string // e.g. "RuleConfig.MinSupport"
	Value  any
	Reason string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("text: %s = %v: %s", e.Field, e.Value, e.Reason)
}

func ftoa(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }

func itoa(n int) string { return strconv.Itoa(n) }
