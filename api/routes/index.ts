import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';
import { registerRoute } from './auth-register.js';
import { loginRoute } from './auth-login.js';
import { refreshRoute } from './auth-refresh.js';
import { logoutRoute } from './auth-logout.js';
import { meRoute } from './me.js';
import { jwksRoute } from './jwks.js';
import { roomMessagesRoute } from './room-messages.js';
import { roomsCreateRoute } from './rooms-create.js';
import { roomsMineRoute } from './rooms-mine.js';
import { roomsPublicRoute } from './rooms-public.js';
import { roomGetRoute } from './room-get.js';
import { roomUpdateRoute } from './room-update.js';
import { roomDeleteRoute } from './room-delete.js';
import { roomMembersRoute } from './room-members.js';
import { roomInviteRoute } from './room-invite.js';
import { invitesMineRoute } from './invites-mine.js';
import { roomInviteAcceptRoute } from './room-invite-accept.js';
import { roomInviteDeclineRoute } from './room-invite-decline.js';
import { roomJoinRoute } from './room-join.js';
import { roomLeaveRoute } from './room-leave.js';
import { roomKickRoute } from './room-kick.js';
import { roomBanRoute } from './room-ban.js';
import { roomUnbanRoute } from './room-unban.js';
import { roomBansRoute } from './room-bans.js';
import { roomMemberRoleRoute } from './room-member-role.js';
import { dmsOpenRoute } from './dms-open.js';
import { searchMessagesRoute } from './search-messages.js';
import { roomReadRoute } from './room-read.js';
import { announcementsPostRoute } from './announcements-post.js';
import { announcementsListRoute } from './announcements-list.js';

import { messageEditRoute } from './message-edit.js';
import { messageDeleteRoute } from './message-delete.js';
import { messageReactRoute, messageUnreactRoute } from './message-reaction.js';
import { presenceGetRoute } from './presence-get.js';
import { roomPresenceRoute } from './room-presence.js';
import { onlineRoute } from './online.js';
import { meStatusSetRoute } from './me-status-set.js';
import { meStatusClearRoute } from './me-status-clear.js';

import { uploadsRoute } from './uploads.js';
import { fileDownloadRoute } from './file-download.js';
import { webConfigRoute } from './web-config.js';
export function registerRoutes(app: App, deps: RouteDeps): void {
  for (const route of [
    registerRoute,
    loginRoute,
    refreshRoute,
    logoutRoute,
    meRoute,
    jwksRoute,
    // /v1/rooms/public before /v1/rooms/:id, so the listing is never read as a room id.
    roomsPublicRoute,
    roomsCreateRoute,
    roomsMineRoute,
    roomGetRoute,
    roomUpdateRoute,
    roomDeleteRoute,
    roomMembersRoute,
    roomMessagesRoute,
    roomReadRoute,
    roomJoinRoute,
    roomLeaveRoute,
    roomKickRoute,
    roomMemberRoleRoute,
    roomBanRoute,
    roomUnbanRoute,
    roomBansRoute,
    roomInviteRoute,
    roomInviteAcceptRoute,
    roomInviteDeclineRoute,
    invitesMineRoute,
    dmsOpenRoute,
    searchMessagesRoute,
    announcementsPostRoute,
    announcementsListRoute,
    messageEditRoute,
    messageDeleteRoute,
    messageReactRoute,
    messageUnreactRoute,
    presenceGetRoute,
    roomPresenceRoute,
    onlineRoute,
    meStatusSetRoute,
    meStatusClearRoute,
    uploadsRoute,
    fileDownloadRoute,
    webConfigRoute,
  ]) {
    route(app, deps);
  }
}
