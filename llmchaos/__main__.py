from llmchaos.cli import main

main()
