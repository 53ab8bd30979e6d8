# Two commands a fresh clone needs: `make demo` and `make test`. Only python3.11 and make required.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo/marketing.xlsx
# The demo keeps its state store (runs, snapshots, summaries sent) beside its workbook.
DEMO_ENV := SHEETSYNC_STATE_PATH=demo/state.db SHEETSYNC_SUMMARY_OUTBOX=demo/outbox \
	SHEETSYNC_SUMMARY_TO='["owner@example.com"]' 
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-worker lint mutants clean

# The summary's browser tests drive Debian's Chromium through Playwright (no browser download);
# the emoji font lets its screenshots show what a phone shows. Installed when absent (as root).
BROWSER := /usr/bin/chromium /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p demo && rm -rf $(DEMO) demo/state.db* demo/outbox demo/summary.html
	@echo '$$ sheetsync init --path $(DEMO) --example'
	@$(BIN)/sheetsync init --path $(DEMO) --example
	@echo; echo '$$ sheetsync check --workbook $(DEMO)'
	@# check exits 1 because the example has a deliberate error; the demo goes on.
	@$(BIN)/sheetsync check --workbook $(DEMO) || true
	@echo; echo '$$ sheetsync sync --workbook $(DEMO)'
	@$(DEMO_ENV) $(BIN)/sheetsync sync --workbook $(DEMO)
	@echo; echo '$$ sheetsync summary --workbook $(DEMO) --preview demo/summary.html'
	@$(DEMO_ENV) $(BIN)/sheetsync summary --workbook $(DEMO) --preview demo/summary.html
	@echo; echo '$$ sheetsync summary --workbook $(DEMO) --send'
	@$(DEMO_ENV) $(BIN)/sheetsync summary --workbook $(DEMO) --send
	@echo
	@echo "Open $(CURDIR)/$(DEMO) in Excel or LibreOffice to see the Status, ROI and Issues columns and the Checks and History tabs;"
	@echo "open $(CURDIR)/demo/summary.html in a browser, or the .eml in $(CURDIR)/demo/outbox in a mail program, to read the monthly summary."

$(BROWSER):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null

test: $(STAMP) $(BROWSER)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-worker: $(STAMP)
	$(BIN)/python -m benchmarks.worker

# Mutation testing (README, "Mutation testing"), one module at a time, e.g.
# `make mutants MODULE=compute` or `make mutants MODULE=backends.google_requests`; `mutmut show
# NAME` shows a survivor. mutmut first runs the module's test files once to map each test to the
# functions it calls, then tries each mutant against its function's tests only. mutmut's config
# has one test selection for every module, so the files are chosen here, per module, through
# pytest's testpaths (the config selects none): a module's map and clean run cost its own tests.
# MUTANT_DESELECT_<module> drops a module's slow tests (pytest's --deselect).
# No MODULE: the rules, figures, write planner and cell readers against their own test files.
MUTANT_TESTS := tests/test_compute.py tests/test_rules.py tests/test_writes.py tests/test_cells.py
# The cell readers' own test file covers them: their survivors take 2 s each instead of minutes.
MUTANT_TESTS_cells := tests/test_cells.py
# The Google write planning, through the real gspread client and the Sheets API test server
# (the interleavings property and the CLI's subprocesses are left out: slow, or blind to a mutant).
MUTANT_TESTS_backends.google_requests := tests/test_google_requests.py tests/test_google_backend.py \
	tests/test_google_init.py tests/test_backends.py
# The HTTP layer under it (the rate limit, retries, Retry-After, time-outs), through the same.
MUTANT_TESTS_backends.google_http := $(MUTANT_TESTS_backends.google_requests)
# The backend itself (reads, guarded writes, their retries), through the same.
MUTANT_TESTS_backends.google := $(MUTANT_TESTS_backends.google_requests)
# Every Google failure's sentence (statuses, Google's reasons, credentials): its own tests first
# (each sentence in full, for the test server's answers, real key files and sign-ins), then these.
MUTANT_TESTS_backends.google_errors := tests/test_google_errors.py \
	$(MUTANT_TESTS_backends.google_requests)
# The credentials (key files, the saved login and `auth login`, ADC, none): their own tests first
# (real key files, gcloud's ADC folder, the consent page through the test server), the failures'
# and the backend's.
MUTANT_TESTS_backends.google_auth := tests/test_google_auth.py tests/test_google_errors.py \
	tests/test_google_backend.py
# `init --google`: its own tests first (what a new spreadsheet holds, through the test server),
# then the failures' sentences.
MUTANT_TESTS_backends.google_create := tests/test_google_init.py tests/test_google_errors.py
# The lossless .xlsx writer, through real files (XlsxWriter, openpyxl); left out as slow: a long
# column's running total, a large sheet's read, an office program's lock wait, and the tests
# that open the result in LibreOffice.
XLSX_WRITE_TESTS := tests/test_xlsx_styles.py tests/test_xlsx_edit.py tests/test_xlsx_backend.py \
	tests/test_backends.py
XLSX_SLOW_TESTS := $(addprefix tests/test_xlsx_backend.py::test_,\
	running_total_down_a_long_column_follows_a_written_cell a_large_sheet_reads_every_row \
	file_open_in_an_office_program_reads_but_is_not_written) \
	$(addprefix tests/test_xlsx_edit.py::test_,a_header_note_goes_beside_a_chart_on_the_same_tab \
	a_header_note_joins_the_form_controls_and_leaves_the_printed_header_alone \
	a_pivot_table_its_cache_and_records_survive_a_sync)
$(foreach part,styles edit parts zip,\
	$(eval MUTANT_TESTS_backends.xlsx_$(part) := $(XLSX_WRITE_TESTS))\
	$(eval MUTANT_DESELECT_backends.xlsx_$(part) := $(XLSX_SLOW_TESTS)))
# The header notes: their own tests first (the comments and drawings an office program reads,
# in real files), then the writer's, without the slow ones and those that open LibreOffice.
MUTANT_TESTS_backends.xlsx_notes := tests/test_xlsx_notes.py $(XLSX_WRITE_TESTS)
MUTANT_DESELECT_backends.xlsx_notes := $(XLSX_SLOW_TESTS)
# The calc chain: its own tests (every real chain of the corpus, entries taken out) and the
# writer's, without the two that open the result in LibreOffice (each checks the chain first).
MUTANT_TESTS_backends.xlsx_calc_chain := tests/test_xlsx_calc_chain.py $(XLSX_WRITE_TESTS)
MUTANT_DESELECT_backends.xlsx_calc_chain := $(XLSX_SLOW_TESTS) \
	$(addprefix tests/test_xlsx_calc_chain.py::test_,\
	a_formula_typed_in_a_status_cell_leaves_the_calc_chain_without_it \
	values_typed_over_formulas_of_a_real_excel_chain_on_seven_sheets)
# The sheet part's streaming editor: its own tests first, then the writer's and the calc
# chain's, without the slow ones and those that open LibreOffice.
MUTANT_TESTS_backends.xlsx_sheet_edit := tests/test_xlsx_sheet_edit.py $(XLSX_WRITE_TESTS) \
	tests/test_xlsx_calc_chain.py
MUTANT_DESELECT_backends.xlsx_sheet_edit := $(MUTANT_DESELECT_backends.xlsx_calc_chain)
# Where rows and cells are when the XML leaves their references out (the editor and the read's
# scan both place cells from it): the editor's tests, the writer's and the syncs of such files.
MUTANT_TESTS_backends.xlsx_cell_order := tests/test_xlsx_sheet_edit.py $(XLSX_WRITE_TESTS) \
	tests/test_sync_xlsx.py
MUTANT_DESELECT_backends.xlsx_cell_order := $(XLSX_SLOW_TESTS)
# The save that keeps a local file's owner, group, mode and links: its own tests, whose other
# users are forked children of the test process, so they run the mutant too.
MUTANT_TESTS_backends.local_file := tests/test_local_file.py
# The local backend's own steps (the read, and the write: refusals, the save renamed over the
# file) through its tests, the save's and the writer's, without the writer's slow ones.
MUTANT_TESTS_backends.xlsx := tests/test_local_file.py $(XLSX_WRITE_TESTS)
MUTANT_DESELECT_backends.xlsx := $(XLSX_SLOW_TESTS)
# The formulas a write feeds, worked out again: their own tests first (the results a real file
# stores after a sync), then the writer's, without its slow ones.
MUTANT_TESTS_backends.xlsx_formulas := tests/test_xlsx_formulas.py $(XLSX_WRITE_TESTS)
MUTANT_DESELECT_backends.xlsx_formulas := $(XLSX_SLOW_TESTS)
# The read's scan of the package (sheets, names, date formats, error and formula cells): its
# own tests first, then the formulas', the damaged files' and the writer's, without its slow ones.
MUTANT_TESTS_backends.xlsx_package := tests/test_xlsx_package.py tests/test_xlsx_formulas.py \
	tests/test_xlsx_damaged.py $(XLSX_WRITE_TESTS)
MUTANT_DESELECT_backends.xlsx_package := $(XLSX_SLOW_TESTS)
# Two children on a machine of one's own; `MUTANT_CHILDREN=1` on a shared one.
MUTANT_CHILDREN ?= 2
MUTANT_PYTEST = -o "testpaths=$(strip $(or $(MUTANT_TESTS_$(MODULE)),$(MUTANT_TESTS)))" \
	$(addprefix --deselect=,$(MUTANT_DESELECT_$(MODULE)))

mutants: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut>=3.3,<4'
	@# mutmut keeps the map of which test calls which function from its first run: a test whose
	@# calls changed since would not meet the mutants it now reaches. Each run maps afresh.
	rm -f mutants/mutmut-stats.json
	PYTEST_ADDOPTS='$(MUTANT_PYTEST)' $(BIN)/mutmut run --max-children $(MUTANT_CHILDREN) $(if $(MODULE),"sheetsync.$(MODULE).*") || true
	$(BIN)/mutmut results

lint: $(STAMP)
	$(BIN)/ruff check sheetsync tests benchmarks
	$(BIN)/ruff format --check sheetsync tests benchmarks
	$(BIN)/mypy sheetsync benchmarks --ignore-missing-imports

clean:
	rm -rf $(VENV) demo .pytest_cache mutants
