// A wechaty puppet service on loopback for GroupGuard's WeChat integration tests.
//
//   node server.mjs --grpc-port 8788 --http-port 8789 --token T [--bot-id bot --bot-name 守卫]
//
// It serves the real wechaty-puppet-service gRPC server (no TLS) over PuppetMock, plus a small
// HTTP control hook on 127.0.0.1 for the python tests: create contacts and rooms, set room
// aliases (群昵称), make a contact say something in a room, add or remove members (join and
// leave events), rename rooms, and read back the calls the python client made. PuppetMock's
// roomDel / roomTopic / contactAlias are no-ops, so this file records them (and makes roomDel
// really remove the member, with the leave event WeChat sends).
//
// Prints one line `READY {"grpcPort":..,"httpPort":..}` on stdout when both are listening.

import http from 'node:http'
import { parseArgs } from 'node:util'

import * as PUPPET from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'

const { values: args } = parseArgs({
  options: {
    'grpc-port': { type: 'string' },
    'http-port': { type: 'string' },
    token: { type: 'string' },
    'bot-id': { type: 'string', default: 'bot' },
    'bot-name': { type: 'string', default: 'GroupGuard' },
  },
})
if (!args['grpc-port'] || !args['http-port'] || !args.token) {
  console.error('usage: node server.mjs --grpc-port P --http-port P --token T')
  process.exit(2)
}

const calls = [] // every recorded call: { seq, method, args, at }
const record = (method, callArgs) => {
  calls.push({ seq: calls.length + 1, method, args: callArgs, at: Date.now() / 1000 })
}
const aliases = new Map() // `${roomId}\n${contactId}` -> room alias

class RecordingPuppetMock extends PuppetMock {
  async onStart () {
    await super.onStart()
    // The python 0.x client calls stop() then start() on connect, which logs the mock out:
    // log the bot back in after every start, as a real puppet does from its saved session.
    setImmediate(() => this.mocker.login(this.mocker.ContactMock.load(args['bot-id'])))
  }

  async messageSendText (conversationId, text, mentionIdList) {
    record('messageSendText', { conversationId, text, mentionIdList: mentionIdList || [] })
    return super.messageSendText(conversationId, text)
  }

  async roomDel (roomId, contactId) {
    record('roomDel', { roomId, contactId })
    const room = this.mocker.RoomMock.load(roomId)
    if (room.payload.memberIdList.includes(contactId)) {
      room.remove(this.mocker.ContactMock.load(contactId)).by(this.mocker.ContactMock.load(this.currentUserId))
      this.cache.room.delete(roomId)
    }
  }

  async roomAdd (roomId, contactId) {
    record('roomAdd', { roomId, contactId })
  }

  async roomTopic (roomId, topic) {
    if (typeof topic === 'undefined') {
      return this.mocker.roomPayload(roomId).topic
    }
    record('roomTopic', { roomId, topic })
    this.mocker.roomPayload(roomId).topic = topic
    this.cache.room.delete(roomId)
  }

  async contactAlias (contactId, alias) {
    if (typeof alias === 'undefined') {
      return this.mocker.contactPayload(contactId).alias || ''
    }
    record('contactAlias', { contactId, alias })
  }

  async roomMemberRawPayload (roomId, contactId) {
    const room = this.mocker.roomPayload(roomId)
    if (!room.memberIdList.includes(contactId)) {
      return undefined // the service answers "not in the room", as a real puppet does
    }
    const payload = await super.roomMemberRawPayload(roomId, contactId)
    return { ...payload, roomAlias: aliases.get(`${roomId}\n${contactId}`) || '' }
  }
}

const mocker = new mock.Mocker()
const puppet = new RecordingPuppetMock({ mocker })
mocker.createContact({ id: args['bot-id'], name: args['bot-name'], friend: false })

const server = new PuppetServer({
  endpoint: `127.0.0.1:${args['grpc-port']}`,
  puppet,
  token: args.token,
  tls: { disable: true },
})

const contact = (id) => mocker.ContactMock.load(id)
const room = (id) => mocker.RoomMock.load(id)

const routes = {
  'GET /health': () => ({ ok: true, loggedIn: puppet.isLoggedIn }),
  'GET /calls': (_, query) => ({
    calls: calls.filter(c => c.seq > Number(query.get('since') || 0)
      && (!query.get('method') || c.method === query.get('method'))),
  }),
  'POST /contact': (b) => {
    const c = mocker.createContact({
      id: b.id, name: b.name, friend: b.friend ?? false, type: b.type ?? PUPPET.types.Contact.Individual,
    })
    return { id: c.id }
  },
  'POST /room': (b) => {
    const r = mocker.createRoom({
      id: b.id, topic: b.topic, ownerId: b.ownerId, memberIdList: [...(b.memberIds || [])], adminIdList: [],
    })
    return { id: r.id }
  },
  'POST /alias': (b) => {
    aliases.set(`${b.roomId}\n${b.contactId}`, b.alias)
    return { ok: true }
  },
  'POST /say': (b) => {
    const payload = {
      id: b.messageId || `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      talkerId: b.talkerId,
      roomId: b.roomId,
      text: b.text ?? '',
      timestamp: Date.now(),
      type: b.type ?? PUPPET.types.Message.Text,
      mentionIdList: b.mentionIds || [],
    }
    const msg = mocker.MessageMock.create(payload)
    puppet.emit('message', { messageId: msg.id })
    return { messageId: msg.id }
  },
  'POST /say-many': (b) => {
    // A burst from one request, so the benchmark measures the client, not HTTP round trips.
    const ids = []
    for (let i = 0; i < b.count; i++) {
      const m = b.messages[i % b.messages.length]
      const msg = mocker.MessageMock.create({
        id: `b${i}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
        talkerId: m.talkerId, roomId: m.roomId, text: m.text, timestamp: Date.now(),
        type: PUPPET.types.Message.Text, mentionIdList: [],
      })
      puppet.emit('message', { messageId: msg.id })
      ids.push(msg.id)
    }
    return { count: ids.length }
  },
  'POST /join': (b) => {
    room(b.roomId).add(...b.contactIds.map(contact)).by(contact(b.inviterId))
    puppet.cache.room.delete(b.roomId)
    return { ok: true }
  },
  'POST /leave': (b) => {
    room(b.roomId).remove(...b.contactIds.map(contact)).by(contact(b.removerId || b.contactIds[0]))
    puppet.cache.room.delete(b.roomId)
    return { ok: true }
  },
  'POST /topic': (b) => {
    room(b.roomId).topic(b.topic).by(contact(b.changerId))
    puppet.cache.room.delete(b.roomId)
    return { ok: true }
  },
}

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  const handler = routes[`${req.method} ${url.pathname}`]
  let body = ''
  req.on('data', chunk => { body += chunk })
  req.on('end', () => {
    let status = 200
    let answer
    try {
      if (!handler) {
        status = 404
        answer = { error: `no route ${req.method} ${url.pathname}` }
      } else {
        answer = handler(body ? JSON.parse(body) : {}, url.searchParams)
      }
    } catch (e) {
      status = 400
      answer = { error: String(e && e.stack ? e.stack : e) }
    }
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer))
  })
})

await server.start()
await puppet.start()
await new Promise(resolve => httpServer.listen(Number(args['http-port']), '127.0.0.1', resolve))
console.log('READY ' + JSON.stringify({ grpcPort: Number(args['grpc-port']), httpPort: Number(args['http-port']) }))

const shutdown = async () => {
  httpServer.close()
  try { await server.stop() } catch { /* already stopping */ }
  try { await puppet.stop() } catch { /* already stopping */ }
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
