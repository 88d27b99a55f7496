from cockpit.cli.main import main

main()
