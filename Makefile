.PHONY: run test lint format messages

run:   ## install and run web + worker + beat with demo data (embedded defaults)
	bash scripts/run.sh

test:  ## the whole test suite (ruff + pytest on PostgreSQL/Redis + browser tests)
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

messages:  ## refresh and compile the translations
	DEBUG=1 .venv/bin/python manage.py makemessages -l en -l zh_Hans --ignore=.venv --ignore=var
	DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv
