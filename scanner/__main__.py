"""`python -m scanner` is `camscan`."""

from scanner.cli import main

if __name__ == "__main__":
    main()
