# Thin aliases for ./dev, which is what README and CI use.
.PHONY: run test check bench
run:
	./dev up
test:
	./dev test
check:
	./dev check
bench:
	./dev bench
