"""Repository-wide pytest options (must live at the root so that pytest sees them at start-up)."""


def pytest_addoption(parser):
    parser.addoption("--tier", choices=("fast", "full"), default="fast",
                     help="certification tier for validation/ (fast: default, minutes; full: large d, opt-in)")
    parser.addoption("--seed", type=int, default=0, help="root seed of the certification run in validation/")
