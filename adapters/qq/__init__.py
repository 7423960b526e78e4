"""QQ groups through a OneBot v11 implementation (NapCat, LLOneBot/LuckyLilliaBot, ...).

The client speaks OneBot v11 over aiohttp's WebSocket (already a core dependency), in either
transport: forward (the bot connects to the implementation) or reverse (the implementation
connects to the bot). See ``docs/qq.md``.
"""
