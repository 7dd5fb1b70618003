from reform_rules.cli.main import main

main()
