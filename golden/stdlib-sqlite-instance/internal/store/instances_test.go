package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
)

// This file is the conformance suite for store.Instances, the installation
// records; store_test.go has the rest of store.Store and the helpers both
// files share.

// sameRecord reports whether two records hold the same data, comparing
// times as instants.
func sameRecord(a, b store.InstanceRecord) bool {
	return a.ID == b.ID &&
		a.Plan == b.Plan &&
		a.InstalledAt.Equal(b.InstalledAt) &&
		a.PlanUpdatedAt.Equal(b.PlanUpdatedAt)
}

func mustSave(t *testing.T, st store.Store, rec store.InstanceRecord) {
	t.Helper()
	if err := st.SaveInstance(t.Context(), rec); err != nil {
		t.Fatalf("SaveInstance(%q): %v", rec.ID, err)
	}
}

func mustInstance(t *testing.T, st store.Store, id string) store.InstanceRecord {
	t.Helper()
	rec, err := st.Instance(t.Context(), id)
	if err != nil {
		t.Fatalf("Instance(%q): %v", id, err)
	}
	return rec
}

func TestInstanceLifecycle(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const id = "5f0f2a7e-1c1d-4e4e-9a9a-000000000001"
	// A non-UTC zone checks that times come back as the same instant.
	installed := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	purchased := time.Date(2025, 4, 1, 0, 0, 0, 1, time.UTC)

	if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Instance before SaveInstance: err = %v, want ErrNotFound", err)
	}

	mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
	got := mustInstance(t, st, id)
	want := store.InstanceRecord{ID: id, InstalledAt: installed}
	if !sameRecord(got, want) {
		t.Fatalf("after SaveInstance: got %+v, want %+v", got, want)
	}
	if got.InstalledAt.Location() != time.UTC {
		t.Errorf("InstalledAt location = %v, want UTC", got.InstalledAt.Location())
	}

	if err := st.SetPlan(ctx, id, "premium", purchased); err != nil {
		t.Fatalf("SetPlan: %v", err)
	}
	got = mustInstance(t, st, id)
	want = store.InstanceRecord{ID: id, InstalledAt: installed, Plan: "premium", PlanUpdatedAt: purchased}
	if !sameRecord(got, want) {
		t.Fatalf("after SetPlan: got %+v, want %+v", got, want)
	}

	if err := st.DeleteInstance(ctx, id); err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Instance after DeleteInstance: err = %v, want ErrNotFound", err)
	}
}

func TestSaveInstanceMerge(t *testing.T) {
	t.Parallel()
	const id = "inst"
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	t2 := t0.Add(2 * time.Hour)

	tests := []struct {
		name          string
		first, second store.InstanceRecord
		want          store.InstanceRecord
	}{
		{
			name:   "same record twice",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
		},
		{
			name:   "install event keeps existing plan",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t1},
		},
		{
			name:   "earlier install time wins",
			first:  store.InstanceRecord{ID: id, InstalledAt: t2},
			second: store.InstanceRecord{ID: id, InstalledAt: t0},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0},
		},
		{
			name:   "later install time is ignored",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0},
			second: store.InstanceRecord{ID: id, InstalledAt: t2},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0},
		},
		{
			name:   "unknown install time is filled in",
			first:  store.InstanceRecord{ID: id, Plan: "premium", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t2},
			want:   store.InstanceRecord{ID: id, InstalledAt: t2, Plan: "premium", PlanUpdatedAt: t1},
		},
		{
			name:   "zero install time keeps known one",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0},
			second: store.InstanceRecord{ID: id},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0},
		},
		{
			name:   "newer plan applies",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "basic", PlanUpdatedAt: t1},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
		},
		{
			name:   "older plan is ignored",
			first:  store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
			second: store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "basic", PlanUpdatedAt: t1},
			want:   store.InstanceRecord{ID: id, InstalledAt: t0, Plan: "premium", PlanUpdatedAt: t2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			mustSave(t, st, tt.first)
			mustSave(t, st, tt.second)
			if got := mustInstance(t, st, id); !sameRecord(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			// Saving the second record again changes nothing.
			mustSave(t, st, tt.second)
			if got := mustInstance(t, st, id); !sameRecord(got, tt.want) {
				t.Errorf("after repeating the save: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSetPlan(t *testing.T) {
	t.Parallel()
	const id = "inst"
	t1 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Nanosecond)

	type event struct {
		plan string
		at   time.Time
	}
	tests := []struct {
		name     string
		events   []event // in delivery order
		wantPlan string
		wantAt   time.Time
	}{
		{
			name: "in order",
			events: []event{
				{plan: "basic", at: t1},
				{plan: "premium", at: t2},
			},
			wantPlan: "premium",
			wantAt:   t2,
		},
		{
			name: "older event arriving late is ignored",
			events: []event{
				{plan: "premium", at: t2},
				{plan: "basic", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t2,
		},
		{
			name: "repeated delivery",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "premium", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t1,
		},
		{
			name: "same time keeps the first",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "basic", at: t1},
			},
			wantPlan: "premium",
			wantAt:   t1,
		},
		{
			name: "back to free",
			events: []event{
				{plan: "premium", at: t1},
				{plan: "", at: t2},
			},
			wantPlan: "",
			wantAt:   t2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			installed := t1.Add(-time.Hour)
			mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
			for _, ev := range tt.events {
				if err := st.SetPlan(t.Context(), id, ev.plan, ev.at); err != nil {
					t.Fatalf("SetPlan(%q, %v): %v", ev.plan, ev.at, err)
				}
			}
			want := store.InstanceRecord{ID: id, InstalledAt: installed, Plan: tt.wantPlan, PlanUpdatedAt: tt.wantAt}
			if got := mustInstance(t, st, id); !sameRecord(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestSetPlanCreatesRecord(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

	if err := st.SetPlan(ctx, "new", "premium", at); err != nil {
		t.Fatalf("SetPlan: %v", err)
	}
	want := store.InstanceRecord{ID: "new", Plan: "premium", PlanUpdatedAt: at}
	if got := mustInstance(t, st, "new"); !sameRecord(got, want) || !got.InstalledAt.IsZero() {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// The install event arriving afterwards fills in the install time and
	// keeps the plan.
	installed := at.Add(-time.Minute)
	mustSave(t, st, store.InstanceRecord{ID: "new", InstalledAt: installed})
	want.InstalledAt = installed
	if got := mustInstance(t, st, "new"); !sameRecord(got, want) {
		t.Fatalf("after SaveInstance: got %+v, want %+v", got, want)
	}
}

func TestDeleteInstance(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	installed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	for _, id := range []string{"a", "b"} {
		mustSave(t, st, store.InstanceRecord{ID: id, InstalledAt: installed})
		if err := st.SetPlan(ctx, id, "premium", installed.Add(time.Hour)); err != nil {
			t.Fatalf("SetPlan(%q): %v", id, err)
		}
		mustPut(t, st, id, `{"owner":"`+id+`"}`, 0)
	}
	mustPut(t, st, "settings-only", `{"x":1}`, 0)
	bRecord := mustInstance(t, st, "b")
	bSettings := mustSettings(t, st, "b")

	for _, id := range []string{"a", "settings-only"} {
		if err := st.DeleteInstance(ctx, id); err != nil {
			t.Fatalf("DeleteInstance(%q): %v", id, err)
		}
		if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Instance(%q) after delete: err = %v, want ErrNotFound", id, err)
		}
		if _, err := st.Settings(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Settings(%q) after delete: err = %v, want ErrNotFound", id, err)
		}
	}

	// Deleting again, or deleting what never existed, is a no-op.
	for _, id := range []string{"a", "never-installed"} {
		if err := st.DeleteInstance(ctx, id); err != nil {
			t.Errorf("DeleteInstance(%q) when absent: %v", id, err)
		}
	}

	if got := mustInstance(t, st, "b"); !sameRecord(got, bRecord) {
		t.Errorf("b's record changed: got %+v, want %+v", got, bRecord)
	}
	if got := mustSettings(t, st, "b"); !sameSettings(got, bSettings) {
		t.Errorf("b's settings changed: got %+v, want %+v", got, bSettings)
	}

	// A reinstalled instance starts from scratch.
	if got := mustPut(t, st, "a", `{}`, 0); got.Version != 1 {
		t.Errorf("version after reinstall = %d, want 1", got.Version)
	}
}

func TestInstanceValidation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"SaveInstance empty ID", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{InstalledAt: at})
		}},
		{"SaveInstance year 10000", func(ctx context.Context) error {
			return st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", InstalledAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
		}},
		{"Instance empty ID", func(ctx context.Context) error {
			_, err := st.Instance(ctx, "")
			return err
		}},
		{"SetPlan empty ID", func(ctx context.Context) error { return st.SetPlan(ctx, "", "premium", at) }},
		{"SetPlan zero time", func(ctx context.Context) error { return st.SetPlan(ctx, "inst", "premium", time.Time{}) }},
		{"DeleteInstance empty ID", func(ctx context.Context) error { return st.DeleteInstance(ctx, "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t.Context()); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}

	// Nothing was written by the rejected calls.
	if _, err := st.Instance(t.Context(), "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance after rejected writes: err = %v, want ErrNotFound", err)
	}
}

// TestInstanceIsolation checks that no instance ID, however crafted, reaches
// another instance's record: each crafted ID is either rejected with
// ErrInvalid or behaves as a separate instance, and neither the record nor
// the settings of instance "b" are ever touched, not even by DeleteInstance.
func TestInstanceIsolation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	installed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	mustSave(t, st, store.InstanceRecord{ID: "b", InstalledAt: installed})
	if err := st.SetPlan(ctx, "b", "premium", installed.Add(time.Hour)); err != nil {
		t.Fatalf("SetPlan(b): %v", err)
	}
	mustPut(t, st, "b", `{"owner":"b"}`, 0)
	bRecord := mustInstance(t, st, "b")
	bSettings := mustSettings(t, st, "b")

	for _, tt := range craftedIDs {
		t.Run(tt.name(), func(t *testing.T) {
			id := tt.id
			later := installed.Add(48 * time.Hour)

			tt.check(t, "SaveInstance", st.SaveInstance(ctx, store.InstanceRecord{ID: id, InstalledAt: later, Plan: "stolen", PlanUpdatedAt: later}))
			tt.check(t, "SetPlan", st.SetPlan(ctx, id, "stolen", later.Add(time.Hour)))
			rec, err := st.Instance(ctx, id)
			tt.check(t, "Instance", err)
			if err == nil && (rec.ID != id || rec.Plan != "stolen") {
				t.Errorf("Instance(%q) = %+v, want its own record", id, rec)
			}
			_, err = st.PutSettings(ctx, id, json.RawMessage(`{"owner":"attacker"}`), 0)
			tt.check(t, "PutSettings", err)

			tt.check(t, "DeleteInstance", st.DeleteInstance(ctx, id))
			if !tt.wantInvalid {
				if _, err := st.Instance(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Instance after delete: err = %v, want ErrNotFound", err)
				}
				if _, err := st.Settings(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Settings after delete: err = %v, want ErrNotFound", err)
				}
			}

			if got := mustInstance(t, st, "b"); !sameRecord(got, bRecord) {
				t.Errorf("b's record changed: got %+v, want %+v", got, bRecord)
			}
			if got := mustSettings(t, st, "b"); !sameSettings(got, bSettings) {
				t.Errorf("b's settings changed: got %+v, want %+v", got, bSettings)
			}
		})
	}
}

func TestInstancesCancelledContext(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mustSave(t, st, store.InstanceRecord{ID: "inst", InstalledAt: at})
	mustPut(t, st, "inst", `{"a":1}`, 0)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name string
		call func() error
	}{
		{"SaveInstance", func() error { return st.SaveInstance(ctx, store.InstanceRecord{ID: "other", InstalledAt: at}) }},
		{"Instance", func() error {
			_, err := st.Instance(ctx, "inst")
			return err
		}},
		{"SetPlan", func() error { return st.SetPlan(ctx, "inst", "premium", at.Add(time.Hour)) }},
		{"DeleteInstance", func() error { return st.DeleteInstance(ctx, "inst") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}

	// None of the cancelled writes happened.
	want := store.InstanceRecord{ID: "inst", InstalledAt: at}
	if got := mustInstance(t, st, "inst"); !sameRecord(got, want) {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	if got := mustSettings(t, st, "inst"); got.Version != 1 || string(got.Doc) != `{"a":1}` {
		t.Errorf("settings = version %d doc %s, want version 1 doc {\"a\":1}", got.Version, got.Doc)
	}
	if _, err := st.Instance(t.Context(), "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance(other): err = %v, want ErrNotFound", err)
	}
}

func TestInstancesAfterClose(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.SaveInstance(ctx, store.InstanceRecord{ID: "inst", InstalledAt: at}); err == nil {
		t.Error("SaveInstance after Close succeeded")
	}
	if err := st.SetPlan(ctx, "inst", "premium", at); err == nil {
		t.Error("SetPlan after Close succeeded")
	}
	if _, err := st.Instance(ctx, "inst"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Instance after Close: err = %v, want a store error", err)
	}
	if err := st.DeleteInstance(ctx, "inst"); err == nil {
		t.Error("DeleteInstance after Close succeeded")
	}
	// storetest closes the store again at cleanup; Close must allow that.
}
