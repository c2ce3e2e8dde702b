"""Local fakes of outside services, run in-process so the tests need no internet."""
