package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// ParseAnswersFile decodes an answers file (JSON or YAML, an object whose
// keys are option keys) into option values as text. Unknown keys, and
// values of the wrong type, are errors naming the key and what is valid;
// choice values are checked later, with the flags, by [Option.Set].
func ParseAnswersFile(data []byte) (map[string]string, error) {
	js, err := yaml.YAMLToJSON(data) // JSON is YAML, so this reads both
	if err != nil {
		return nil, fmt.Errorf("answers file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("answers file: want an object of option keys (%s)", strings.Join(OptionKeys(), ", "))
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	values := make(map[string]string, len(raw))
	for _, key := range keys {
		o, ok := LookupOption(key)
		if !ok {
			return nil, fmt.Errorf("answers file: unknown key %q; valid keys are %s", key, strings.Join(OptionKeys(), ", "))
		}
		dec := json.NewDecoder(bytes.NewReader(raw[key]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("answers file: %s: %w", key, err)
		}
		switch v := v.(type) {
		case nil:
			continue // "key:" with no value leaves the answer to its default
		case string:
			values[key] = v
		case bool:
			if o.Kind != KindBool {
				return nil, fmt.Errorf("answers file: %s: want a string, got %v", key, v)
			}
			values[key] = strconv.FormatBool(v)
		default:
			return nil, fmt.Errorf("answers file: %s: want a %s, got %s", key, o.Kind, bytes.TrimSpace(raw[key]))
		}
	}
	return values, nil
}
