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

// TemplatesKey is the answers-file key (and the flag) that names a
// template overlay directory (see [Overlay]); it is no option, since
// templates do not see it.
const TemplatesKey = "templates"

// ParseAnswersFile decodes an answers file (JSON or YAML, an object whose
// keys are option keys, or TemplatesKey) into values as text. Unknown
// keys, and values of the wrong type, are errors naming the key and what
// is valid; choice values are checked later, with the flags, by
// [Option.Set].
func ParseAnswersFile(data []byte) (map[string]string, error) {
	js, err := yaml.YAMLToJSON(data) // JSON is YAML, so this reads both
	if err != nil {
		return nil, fmt.Errorf("answers file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("answers file: want an object of option keys (%s)", strings.Join(answersKeys(), ", "))
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	values := make(map[string]string, len(raw))
	for _, key := range keys {
		o, ok := LookupOption(key)
		if key == TemplatesKey {
			o, ok = Option{Key: key, Kind: KindString}, true
		}
		if !ok {
			return nil, fmt.Errorf("answers file: unknown key %q; valid keys are %s", key, strings.Join(answersKeys(), ", "))
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

// answersKeys are the keys an answers file may hold.
func answersKeys() []string { return append(OptionKeys(), TemplatesKey) }
